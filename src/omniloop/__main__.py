from omniloop.cli import app

app(prog_name="omniloop")
