{
  "targets": [
    {
      "target_name": "tsnix",
      "sources": ["tsnix.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
