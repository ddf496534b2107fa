"""Wire-format codecs: one package per API shape, all translating through daemon.model."""
