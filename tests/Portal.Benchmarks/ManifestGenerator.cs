using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Portal.Benchmarks;

/// <summary>Synthetic manifests: <c>data/shard-NNN/item-NNNNNNN.json</c>, 1,000 files a folder, digests from the index.</summary>
public static class ManifestGenerator
{
    public static string PathOf(int i) => $"data/shard-{i / 1000:D4}/item-{i:D7}.json";

    public static string DigestOf(int i, int generation = 0) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{generation}:{i}")));

    public static long SizeOf(int i) => 1000 + (i % 5000);

    /// <summary>The blobs of a generated manifest, with the sizes its entries declare.</summary>
    public static IEnumerable<(string Digest, long Size)> Blobs(int count) => Enumerable.Range(0, count).Select(i => (DigestOf(i), SizeOf(i)));

    /// <summary>
    /// The manifest as an NDJSON stream written on the fly through a pipe — shuffled by shard so the server has to
    /// sort — so neither side ever holds the whole manifest. <paramref name="prefix"/> goes before every path, for a
    /// manifest with the same blobs and other paths.
    /// </summary>
    public static Stream Ndjson(int count, string prefix = "")
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
        _ = Task.Run(async () =>
        {
            var shards = (count + 999) / 1000;
            var order = Enumerable.Range(0, shards).OrderBy(s => (s * 7919) % shards).ToList();
            await using var writer = new Utf8JsonWriter((IBufferWriter<byte>)pipe.Writer);
            foreach (var shard in order)
            {
                for (var i = shard * 1000; i < Math.Min(count, (shard + 1) * 1000); i++)
                {
                    writer.Reset();
                    writer.WriteStartObject();
                    writer.WriteString("path", prefix + PathOf(i));
                    writer.WriteString("digest", DigestOf(i));
                    writer.WriteNumber("size", SizeOf(i));
                    writer.WriteEndObject();
                    writer.Flush();
                    pipe.Writer.Write("\n"u8);
                }

                await pipe.Writer.FlushAsync();
            }

            await pipe.Writer.CompleteAsync();
        });
        return pipe.Reader.AsStream();
    }
}
