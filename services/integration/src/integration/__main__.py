from integration.main import cli

cli()
