namespace Rtser.Audio;

/// <summary>Reading a whole upload into memory without trusting any length.</summary>
internal static class MediaInput
{
    private const int BlockSize = 81920;

    public static ReadOnlyMemory<byte> ReadCapped(Stream input, long maxBytes)
    {
        long expected = 0;
        if (input.CanSeek)
        {
            expected = Math.Max(0, input.Length - input.Position);
            if (expected > maxBytes)
            {
                throw TooLarge(maxBytes);
            }
        }

        // Read in blocks, so a lying or endless stream stops at the cap.
        using var buffer = new MemoryStream((int)expected);
        var block = new byte[BlockSize];
        int read;
        while ((read = input.Read(block)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw TooLarge(maxBytes);
            }

            buffer.Write(block, 0, read);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    public static AudioFormatException TooLarge(long maxBytes) =>
        new(AudioProblem.TooLarge, $"the input is larger than the {maxBytes}-byte limit");
}
