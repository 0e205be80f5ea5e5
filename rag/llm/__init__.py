"""Language models: the `ChatModel` contract, the OpenAI-compatible client, the local llama.cpp server."""
