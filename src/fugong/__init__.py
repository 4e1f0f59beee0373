"""fugong (复工): the work-resumption ledgers of a district or city office."""

__version__ = "0.1.0"
