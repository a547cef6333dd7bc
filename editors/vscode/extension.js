// Starts `gfnc lsp` for .gfn files. Highlighting needs nothing of this file (package.json
// contributes the grammar); diagnostics, hover and go to definition come from the server.
// Needs `npm install` once in this folder (see README.md) for vscode-languageclient.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate() {
  const command = vscode.workspace.getConfiguration("gfn").get("server.path", "gfnc");
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "gfn",
    "gfnc language server",
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: "file", language: "gfn" },
        { scheme: "untitled", language: "gfn" },
      ],
    }
  );
  // A missing binary is reported by the client in its output channel, not thrown here.
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
