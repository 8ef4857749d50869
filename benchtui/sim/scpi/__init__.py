"""Simulated SCPI instruments: a shared core, an asyncio raw-socket server, one module per dialect."""
