from orders.main import cli

cli()
