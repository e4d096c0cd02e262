from nnaudit.cli import main

main()
