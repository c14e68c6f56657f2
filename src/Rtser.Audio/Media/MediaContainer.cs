namespace Rtser.Audio;

/// <summary>The container (file format) of an upload, as told by its first bytes (<see cref="MediaSniffer"/>).</summary>
public enum MediaContainer
{
    /// <summary>RIFF/WAVE (also RF64, BW64 and RIFX, which <see cref="WavDecoder"/> refuses by name).</summary>
    Wav,

    /// <summary>EBML: WebM or Matroska (Chromium's and Firefox's MediaRecorder default is WebM/Opus).</summary>
    WebM,

    /// <summary>Ogg (Firefox's MediaRecorder writes Ogg/Opus).</summary>
    Ogg,

    /// <summary>ISO base media: MP4, M4A, MOV, 3GP (Safari's MediaRecorder writes MP4/AAC).</summary>
    Mp4,

    /// <summary>MPEG audio: an ID3v2 tag or an MPEG-1/2/2.5 layer I-III frame header.</summary>
    Mp3,

    /// <summary>Native FLAC.</summary>
    Flac,

    /// <summary>None of the above.</summary>
    Unknown,
}
