from maskstats.cli import main

main()
