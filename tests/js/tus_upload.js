// tus-js-client under Node, as a supplier's script would use it: uploads one file to a data source,
// remembering the upload URL in a file (FileUrlStorage) so that a second run resumes it.
// Usage: node tus_upload.js '<json args>'; prints JSON lines: where it starts, then that it is done.
"use strict";
const fs = require("fs");
const tus = require("tus-js-client");

const args = JSON.parse(process.argv[2]);
const file = fs.createReadStream(args.path);
const upload = new tus.Upload(file, {
  endpoint: args.url,
  headers: { Authorization: `Token ${args.token}` },
  chunkSize: args.chunkSize,
  metadata: args.metadata,
  urlStorage: new tus.FileUrlStorage(args.store),
  storeFingerprintForResuming: true,
  removeFingerprintOnSuccess: false,
  retryDelays: null,
  onError(error) {
    console.error(String(error));
    process.exit(1);
  },
  onSuccess() {
    console.log(JSON.stringify({ url: upload.url, done: true }));
  },
});

upload.findPreviousUploads().then((previous) => {
  if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
  // The offset the server answered to the HEAD of a resumed upload, seen as the first PATCH goes out.
  let reported = false;
  upload.options.onBeforeRequest = (request) => {
    if (!reported && request.getMethod() === "PATCH") {
      reported = true;
      console.log(JSON.stringify({ url: upload.url, offset: Number(request.getHeader("Upload-Offset")) }));
    }
  };
  upload.start();
});
