"""Front ends: the `brief` command line and the Gradio web interface."""
