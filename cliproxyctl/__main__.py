from cliproxyctl.app import main

main()
