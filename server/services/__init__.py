"""The service layer: one function per use case, each one transaction.

A use case opens a UnitOfWork, applies the domain rules to the rows it needs, records what
changed, and commits; the unit of work then hands the changes to the publisher (the
realtime layer), so nothing is ever broadcast that is not in the database.
"""
