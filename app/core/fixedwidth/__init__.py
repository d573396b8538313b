"""The fixed-width toolkit every ATIH file reader and writer uses (RUM/RSS, RHS, IUM, RSA/TRA).

* `fields`: one `Field` type (1-based inclusive ATIH positions, padding kind), layouts derived version
  from version (`derive`), zones laid end to end (`contiguous`), import-time position checks;
* `text`: bytes to numbered lines (`iter_lines`: BOM, CRLF, blank lines, bounded line length),
  `decode_line` (UTF-8, else Latin-1) and `pad` (the ATIH padding rule);
* `digest`: the body's SHA-256 (a batch is received once) and the content hash of a record's lines.

Standard library only, so the block workers and the mypyc-compiled parsers can use it (the modules
are compiled with them: app.core.compiled). What needs the database, the "already received" lookup of
a batch, is app.ingestion.intake.
"""
