"""The files the pages load (CSS, scripts, Plotly's and Swagger UI's bundles), precompressed.

`flask assets build` copies every asset to ASSETS_DIR under the path its URL has, with gzip and
Brotli copies beside it (WhiteNoise's compressor), and a manifest of content hashes. When a build is
there, WhiteNoise answers those URLs before Flask: the precompressed copy the browser accepts, with
`Vary: Accept-Encoding` and a year of caching. Every asset URL carries `?v=<content hash>`, built or
not, so a changed file is a new URL and a cached one is never stale. Without a build (development,
tests) Flask serves the same URLs uncompressed.
"""
