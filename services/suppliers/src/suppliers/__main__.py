from suppliers.main import cli

cli()
