"""``python -m estimator``: the console script, runnable as a module."""

from estimator.cli import main

if __name__ == "__main__":
    main()
