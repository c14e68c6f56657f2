using Concentus.Structs;

namespace Rtser.Audio;

/// <summary>Takes the first Opus stream out of an Ogg file (RFC 7845): OpusHead, OpusTags, then audio packets.</summary>
internal static class OggOpusReader
{
    public static OpusStream Read(ReadOnlyMemory<byte> file, bool verifyCrc = true, long maxPackets = long.MaxValue)
    {
        var pages = OggReader.ReadPages(file, verifyCrc);
        if (pages.Count == 0)
        {
            throw new AudioFormatException(AudioProblem.Malformed, "the Ogg file has no pages");
        }

        uint? serial = null;
        string? other = null;
        foreach (var page in pages)
        {
            if (!page.BeginsStream)
            {
                continue;
            }

            var body = page.Body.Span;
            if (OpusHead.HasSignature(body))
            {
                serial = page.Serial;
                break;
            }

            other ??= CodecName(body);
        }

        if (serial is not { } opusSerial)
        {
            throw new AudioFormatException(
                other is null ? AudioProblem.Malformed : AudioProblem.Unsupported,
                other is null ? "the Ogg file has no stream beginning (BOS) page" : $"the Ogg file holds {other}, not Opus");
        }

        var packets = OggReader.ReadPackets(pages, opusSerial, maxPackets == long.MaxValue ? long.MaxValue : maxPackets + 2);
        if (packets.Count == 0)
        {
            throw new AudioFormatException(AudioProblem.Malformed, "the Ogg Opus stream ends before its OpusHead packet is complete");
        }

        var head = OpusHead.Parse(packets[0].Data.Span, "the Ogg stream's first packet");
        if (packets.Count < 2 || !packets[1].Data.Span.StartsWith("OpusTags"u8))
        {
            throw new AudioFormatException(AudioProblem.Malformed, "the Ogg Opus stream has no OpusTags packet after its OpusHead");
        }

        var audio = new List<OpusPacket>(packets.Count - 2);
        long total = 0;
        int lastSamples = 0;
        for (int i = 2; i < packets.Count; i++)
        {
            audio.Add(new OpusPacket(packets[i].Data));
            int samples = packets[i].Data.IsEmpty ? lastSamples : OpusPacketInfo.GetNumSamples(packets[i].Data.Span, OpusHead.SampleRate);
            lastSamples = Math.Max(samples, 0);
            total += lastSamples;
        }

        // End trimming: the last page's granule position is the number of samples (pre-skip included) to keep.
        // Only a cut within the last packet is honoured, so a wrong granule cannot remove real audio.
        if (audio.Count > 0 && packets[^1] is { OnLastPage: true, LastOnPage: true } last)
        {
            long trim = total - last.PageGranule;
            if (trim > 0 && trim <= lastSamples)
            {
                audio[^1] = audio[^1] with { TrimEnd = (int)trim };
            }
        }

        return new OpusStream(head, audio, "Ogg");
    }

    private static string CodecName(ReadOnlySpan<byte> firstPacket) => firstPacket switch
    {
        _ when firstPacket.StartsWith("\u0001vorbis"u8) => "Vorbis",
        _ when firstPacket.StartsWith("\u007fFLAC"u8) => "FLAC",
        _ when firstPacket.StartsWith("Speex   "u8) => "Speex",
        [0x80, .. var rest] when rest.StartsWith("theora"u8) => "Theora video",
        _ when firstPacket.StartsWith("fishead\0"u8) => "a Skeleton stream",
        _ => "an unknown codec",
    };
}
