"""The MCP interface (Model Context Protocol): clausemap for AI assistants, beside api/ and cli/."""
