// Starts s3rver (a local S3 stand-in for the tests). Usage: node s3rver.js <port> <data folder>
//
// The AWS SDK for .NET sends the x-amz-copy-source header of CopyObject URL-encoded as a whole ("bucket%2Fkey"),
// which S3 accepts but s3rver 3.7 does not decode (it only runs decodeURI, which leaves %2F alone). The copy handler
// is wrapped to decode the header first; s3rver has checked the request's signature by then.
'use strict';
const S3rver = require('s3rver');
const objectController = require('s3rver/lib/controllers/object');

const putObjectCopy = objectController.putObjectCopy;
objectController.putObjectCopy = function decodedPutObjectCopy(ctx) {
  const source = ctx.headers['x-amz-copy-source'];
  if (source) ctx.headers['x-amz-copy-source'] = decodeURIComponent(source);
  return putObjectCopy.call(this, ctx);
};

const [port, directory] = process.argv.slice(2);
new S3rver({ address: '127.0.0.1', port: Number(port), directory, silent: true }).run().catch(error => {
  console.error(error);
  process.exit(1);
});
