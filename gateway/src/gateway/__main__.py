from gateway.main import cli

cli()
