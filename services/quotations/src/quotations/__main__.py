from quotations.main import cli

cli()
