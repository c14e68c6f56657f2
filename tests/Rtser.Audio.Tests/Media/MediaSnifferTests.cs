namespace Rtser.Audio.Tests.Media;

public class MediaSnifferTests
{
    public static TheoryData<string, byte[], MediaContainer> Heads => new()
    {
        { "a RIFF/WAVE header", [.. "RIFF"u8, 0, 0, 0, 0, .. "WAVE"u8], MediaContainer.Wav },
        { "an RF64 header", [.. "RF64"u8, 0xFF, 0xFF, 0xFF, 0xFF, .. "WAVE"u8], MediaContainer.Wav },
        { "a RIFF/AVI header", [.. "RIFF"u8, 0, 0, 0, 0, .. "AVI "u8], MediaContainer.Unknown },
        { "an EBML header", [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86], MediaContainer.WebM },
        { "an Ogg capture pattern", [.. "OggS"u8, 0, 2], MediaContainer.Ogg },
        { "an MP4 ftyp box", [0, 0, 0, 0x1C, .. "ftypisom"u8], MediaContainer.Mp4 },
        { "a Safari M4A ftyp box", [0, 0, 0, 0x20, .. "ftypM4A "u8], MediaContainer.Mp4 },
        { "an ID3v2 tag", [.. "ID3"u8, 4, 0, 0], MediaContainer.Mp3 },
        { "an MPEG-1 layer III frame header", [0xFF, 0xFB, 0x90, 0x64], MediaContainer.Mp3 },
        { "an MPEG-2 layer III frame header", [0xFF, 0xF3, 0x64, 0xC4], MediaContainer.Mp3 },
        { "an ADTS AAC header (layer bits 00)", [0xFF, 0xF1, 0x50, 0x80], MediaContainer.Unknown },
        { "a frame sync with a reserved bitrate", [0xFF, 0xFB, 0xF0, 0x64], MediaContainer.Unknown },
        { "a FLAC marker", [.. "fLaC"u8, 0, 0, 0, 0x22], MediaContainer.Flac },
        { "a PNG signature", [0x89, .. "PNG"u8, 0x0D, 0x0A, 0x1A, 0x0A], MediaContainer.Unknown },
        { "text", [.. "hello, world"u8], MediaContainer.Unknown },
        { "nothing", [], MediaContainer.Unknown },
        { "one byte", [0x1A], MediaContainer.Unknown },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public void Tells_the_container_from_the_first_bytes(string input, byte[] head, MediaContainer expected)
    {
        Assert.True(expected == MediaSniffer.Detect(head), input);
    }

    [Theory]
    [InlineData("chromium-live.webm", MediaContainer.WebM)]
    [InlineData("speech-20ms.ogg", MediaContainer.Ogg)]
    [InlineData("speech-aac.mp4", MediaContainer.Mp4)]
    [InlineData("speech.mp3", MediaContainer.Mp3)]
    [InlineData("tone440.flac", MediaContainer.Flac)]
    public void Tells_the_container_of_the_test_recordings(string file, MediaContainer expected)
    {
        Assert.Equal(expected, MediaSniffer.Detect(MediaFiles.Read(file)));
    }
}
