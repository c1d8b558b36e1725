from data_access.cli import main

main(prog_name="python -m data_access")
