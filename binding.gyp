{
  "targets": [
    {
      "target_name": "portwatch",
      "sources": ["native/portwatch.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", { "sources!": ["native/portwatch.c"] }]]
    }
  ]
}
