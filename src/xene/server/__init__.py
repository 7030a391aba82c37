"""Server mode: `xene serve` — the REST API, the trigger controllers and a built-in agent,
over one store. Imported only by `xene serve` and the API's tests: `xene run` never loads
it, nor the web framework it uses."""
