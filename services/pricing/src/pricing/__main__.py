from pricing.main import cli

cli()
