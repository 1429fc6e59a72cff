"""The backend flags every model-using command takes (ask, serve, summarize, eval): parsed by one helper, put over
the BRIEF_* environment, and bad values refused with a message and exit status 2 (no model is loaded)."""
from __future__ import annotations

import pytest

from ui.cli import build_parser, main, needs_local_model
from ui.cli_common import cli_settings

COMMANDS = {"ask": ["ask", "Why?"], "serve": ["serve"], "summarize": ["summarize", "--all"],
            "eval": ["eval", "--qa", "eval/datasets/dev.jsonl"]}
FLAGS = ["--backend", "openai", "--openai-base-url", "http://a:8081/v1, https://b:8000/v1",
         "--openai-model", "qwen", "--openai-timeout", "12.5", "--threads", "2"]


@pytest.fixture
def env(monkeypatch):
    for name, value in {"BRIEF_BACKEND": "llama", "BRIEF_OPENAI_BASE_URL": "http://env:9/v1",
                        "BRIEF_OPENAI_MODEL": "env-model", "BRIEF_OPENAI_TIMEOUT": "30", "BRIEF_THREADS": "3"}.items():
        monkeypatch.setenv(name, value)


def settings_of(argv: list[str]):
    return cli_settings(build_parser().parse_args(argv))


@pytest.mark.parametrize("command", COMMANDS)
def test_flags_override_the_environment(command, env, tmp_path):
    s = settings_of(COMMANDS[command][:1] + ["--index", str(tmp_path), *FLAGS] + COMMANDS[command][1:])
    assert (s.backend.kind, s.backend.base_url, s.backend.model, s.backend.timeout_s, s.model.n_threads) == \
        ("openai", "http://a:8081/v1,https://b:8000/v1", "qwen", 12.5, 2)
    assert s.retrieval.index_dir == tmp_path


@pytest.mark.parametrize("command", COMMANDS)
def test_without_flags_the_environment_holds(command, env):
    s = settings_of(COMMANDS[command])
    assert (s.backend.kind, s.backend.base_url, s.backend.model, s.backend.timeout_s, s.model.n_threads) == \
        ("llama", "http://env:9/v1", "env-model", 30.0, 3)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_flag_alone(command, env):
    argv = COMMANDS[command]
    assert settings_of([*argv[:1], "--backend", "transformers", *argv[1:]]).backend.kind == "transformers"
    assert settings_of([*argv[:1], "--threads", "7", *argv[1:]]).backend.base_url == "http://env:9/v1"
    with pytest.raises(SystemExit):
        build_parser().parse_args([*argv[:1], "--backend", "gpt", *argv[1:]])


def test_commands_without_a_model_take_no_backend_flags(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["search", "--backend", "openai", "x"])
    assert "unrecognized arguments" in capsys.readouterr().err


def test_the_openai_backend_needs_no_local_model_file(env):
    assert not needs_local_model(build_parser().parse_args(["ask", "--backend", "openai", "q"]))
    assert needs_local_model(build_parser().parse_args(["ask", "q"]))


@pytest.mark.parametrize("flags, message", [
    (["--openai-base-url", "localhost:8081/v1"], "--openai-base-url: 'localhost:8081/v1' is not an http:// or"),
    (["--openai-base-url", "http://a:1/v1,ftp://b/v1"], "'ftp://b/v1' is not an http:// or https://"),
    (["--openai-base-url", " , "], "--openai-base-url: ' , ' is not"),
    (["--openai-timeout", "0"], "--openai-timeout: expected a number of seconds above 0, got '0'"),
    (["--openai-timeout", "soon"], "--openai-timeout: expected a number of seconds above 0, got 'soon'"),
    (["--threads", "0"], "--threads: expected a whole number of at least 1, got '0'"),
])
def test_bad_values_are_refused_with_exit_status_2(flags, message, tmp_path, capsys):
    assert main(["ask", "--index", str(tmp_path / "index"), *flags, "Why?"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("brief: ") and message in err and "Traceback" not in err


def test_a_bad_url_is_refused_by_every_command(tmp_path, capsys):
    for command, argv in COMMANDS.items():
        assert main([*argv[:1], "--index", str(tmp_path), "--openai-base-url", "127.0.0.1:8081", *argv[1:]]) == 2
        assert "--openai-base-url: '127.0.0.1:8081' is not an http:// or https:// URL" in capsys.readouterr().err


def test_a_bad_environment_value_is_a_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("BRIEF_OPENAI_TIMEOUT", "soon")
    assert main(["ask", "--index", str(tmp_path), "Why?"]) == 2
    assert "BRIEF_* environment variable has a bad value" in capsys.readouterr().err


def test_an_unknown_environment_backend_is_a_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("BRIEF_BACKEND", "gpt")
    assert main(["ask", "--index", str(tmp_path), "Why?"]) == 2
    assert "BRIEF_BACKEND='gpt' is not a backend; use llama, openai, transformers" in capsys.readouterr().err
    assert settings_of(["ask", "--backend", "llama", "Why?"]).backend.kind == "llama"  # the flag wins
    assert settings_of(["list"]).backend.kind == "gpt"  # a command without the model does not mind
