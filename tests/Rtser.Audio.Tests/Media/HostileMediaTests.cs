namespace Rtser.Audio.Tests.Media;

/// <summary>
/// Truncated and corrupted WebM and Ogg either decode or raise <see cref="AudioFormatException"/>: no other exception,
/// no error from the catch-all that turns our own bugs into one ("unexpected error"), and no call outliving its bound.
/// </summary>
public class HostileMediaTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static readonly MediaDecoder Decoder = new(new MediaDecoderOptions { UseFfmpeg = false });

    private static readonly Dictionary<string, Func<byte[]>> SmallBlobs = new()
    {
        ["hand-built live WebM"] = () => WebMBuilder.OpusFile(OpusTestPackets.Tone440(0.2), live: true, packetsPerCluster: 4),
        ["hand-built WebM with known sizes"] = () => WebMBuilder.OpusFile(OpusTestPackets.Tone440(0.2), live: false, packetsPerCluster: 4),
        ["hand-built Ogg"] = () => OggBuilder.OpusFile(OpusTestPackets.Tone440(0.2), maxPageBody: 300),
        ["Chromium's first Cluster"] = ChromiumFirstCluster,
    };

    public static TheoryData<string> SmallBlobNames => [.. SmallBlobs.Keys];

    public static TheoryData<string> Recordings => ["chromium-live.webm", "speech-20ms.webm", "twotone-stereo.webm", "speech-20ms.ogg", "tone440-60ms.ogg"];

    [Theory]
    [MemberData(nameof(SmallBlobNames))]
    public void Every_truncation_decodes_or_is_refused_as_malformed(string blob)
    {
        var bytes = SmallBlobs[blob]();
        Assert.NotNull(Decoder.Decode(bytes));

        for (int length = 0; length < bytes.Length; length++)
        {
            var error = Outcome(bytes[..length]);

            Assert.True(Expected(error, length), $"{blob} cut to {length} bytes: {error?.Problem} {error?.Message}");
        }
    }

    [Theory]
    [MemberData(nameof(Recordings))]
    public void Truncations_of_the_recordings_decode_or_are_refused_as_malformed(string file)
    {
        var bytes = MediaFiles.Read(file);

        // Every byte through the headers, then about 60 cuts spread over the rest.
        var lengths = Enumerable.Range(0, 400).Concat(Enumerable.Range(0, 60).Select(i => 400 + (i * (bytes.Length - 400) / 60)));
        foreach (int length in lengths)
        {
            var error = Outcome(bytes[..length]);

            Assert.True(Expected(error, length), $"{file} cut to {length} bytes: {error?.Problem} {error?.Message}");
        }
    }

    [Theory]
    [InlineData("hand-built live WebM", 1500)]
    [InlineData("hand-built WebM with known sizes", 1000)]
    [InlineData("hand-built Ogg", 500)]
    [InlineData("Chromium's first Cluster", 300)]
    public void Random_corruptions_decode_or_raise_only_AudioFormatException(string blob, int count)
    {
        var original = SmallBlobs[blob]();
        var random = new Random(20261125);

        for (int i = 0; i < count; i++)
        {
            var bytes = Corrupt(original, random);

            Assert.True(IsClean(Outcome(bytes)), $"{blob}, corruption {i}");
        }
    }

    [Fact]
    public void Random_corruptions_of_Ogg_pages_read_without_CRC_checks_reach_the_Opus_decoder_safely()
    {
        // With CRCs checked nearly every corruption stops at the page; without, garbage reaches the parser and Concentus.
        var original = OggBuilder.OpusFile(OpusTestPackets.Tone440(0.2), maxPageBody: 300);
        var random = new Random(7);

        for (int i = 0; i < 1500; i++)
        {
            var bytes = Corrupt(original, random);
            var error = Bounded.Outcome(() => OpusDecoding.Decode(OggOpusReader.Read(bytes, verifyCrc: false), 600), Bound);

            Assert.True(error is null or AudioFormatException, $"corruption {i}: {error}");
        }
    }

    [Fact]
    public void Random_bytes_behind_each_signature_raise_only_AudioFormatException()
    {
        var random = new Random(11);
        byte[][] signatures = [[0x1A, 0x45, 0xDF, 0xA3], [.. "OggS"u8], [.. "RIFF\0\0\0\0WAVE"u8]];
        foreach (var signature in signatures)
        {
            for (int i = 0; i < 300; i++)
            {
                var bytes = new byte[signature.Length + random.Next(0, 200)];
                random.NextBytes(bytes);
                signature.CopyTo(bytes, 0);

                Assert.True(IsClean(Outcome(bytes)), Convert.ToHexString(bytes));
            }
        }
    }

    private static AudioFormatException? Outcome(byte[] bytes)
    {
        var error = Bounded.Outcome(() => Decoder.Decode(bytes), Bound);
        return error switch
        {
            null => null,
            AudioFormatException e when !e.Message.StartsWith("unexpected error", StringComparison.Ordinal) => e,
            _ => throw new Xunit.Sdk.XunitException($"{bytes.Length} bytes starting {Convert.ToHexString(bytes.AsSpan(0, Math.Min(16, bytes.Length)))}: {error}"),
        };
    }

    /// <summary>Malformed, or Unsupported while not even the 4-byte signature is left to tell the format.</summary>
    private static bool Expected(AudioFormatException? error, int length) =>
        error is null || error.Problem == AudioProblem.Malformed || (length < 4 && error.Problem == AudioProblem.Unsupported);

    private static bool IsClean(AudioFormatException? error) => error is null || Enum.IsDefined(error.Problem);

    private static byte[] Corrupt(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        int changes = random.Next(1, 5);
        for (int c = 0; c < changes; c++)
        {
            int at = random.Next(bytes.Length);
            bytes[at] = random.Next(3) switch
            {
                0 => (byte)random.Next(256),
                1 => (byte)(bytes[at] ^ (1 << random.Next(8))),
                _ => random.Next(2) == 0 ? (byte)0x00 : (byte)0xFF,
            };
        }

        return bytes;
    }

    /// <summary>Chromium's recording up to its second Cluster: a complete live WebM of about one second.</summary>
    private static byte[] ChromiumFirstCluster()
    {
        var bytes = MediaFiles.Read("chromium-live.webm");
        byte[] cluster = [0x1F, 0x43, 0xB6, 0x75];
        int first = bytes.AsSpan().IndexOf(cluster);
        int second = first + 4 + bytes.AsSpan(first + 4).IndexOf(cluster);
        return bytes[..second];
    }
}
