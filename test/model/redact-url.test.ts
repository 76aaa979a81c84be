import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { redactUrl, redactUrlIn } from "../../src/model/redact-url.js";

describe("redactUrl", () => {
  it("redactUrl hides the user name, the password, every query value and the fragment, and keeps the rest", () => {
    assert.equal(redactUrl("https://alice:s3cret@hooks.example.org:8443/a/b?token=abc&channel=ops&flag#frag"), "https://***:***@hooks.example.org:8443/a/b?token=***&channel=***&flag#***");
    assert.equal(redactUrl("http://tok3n@127.0.0.1/p"), "http://***@127.0.0.1/p");
    assert.equal(redactUrl("https://hooks.example.org/portwatch"), "https://hooks.example.org/portwatch");
  });

  it("redactUrl hides the same parts of a text that is not a URL, by its shape", () => {
    assert.equal(redactUrl("https://alice:s3cret@bad host/?key=v"), "https://***@bad host/?key=***");
  });

  it("redactUrlIn replaces the URL wherever an error message quotes it", () => {
    const url = "https://a:b@h.example/x?k=v";
    assert.equal(redactUrlIn(`fetch ${url} failed: ${url}`, url), "fetch https://***:***@h.example/x?k=*** failed: https://***:***@h.example/x?k=***");
  });
});
