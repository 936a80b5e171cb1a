import sys

from tb.mutate.driver import main

sys.exit(main())
