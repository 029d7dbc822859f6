from inventory.main import cli

cli()
