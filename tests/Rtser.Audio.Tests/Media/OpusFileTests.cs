namespace Rtser.Audio.Tests.Media;

/// <summary>Known signals through ffmpeg/libopus and Chromium encoders, decoded by <see cref="MediaDecoder"/>.</summary>
public class OpusFileTests
{
    private static readonly MediaDecoder Decoder = new(new MediaDecoderOptions { UseFfmpeg = false });

    [Theory]
    [InlineData("tone440-20ms.webm", 960)]
    [InlineData("tone440-60ms.ogg", 2880)]
    public void Decodes_a_440_Hz_tone_at_its_frequency_level_and_length(string file, int frameSamples)
    {
        var audio = Decoder.DecodeFile(MediaFiles.Path(file));

        Assert.Equal(48000, audio.SampleRate);
        Assert.Equal(1, audio.SourceChannels);
        Assert.Equal(440, MediaFiles.DominantFrequency(audio.Samples, 48000));
        double rmsDb = 20 * Math.Log10(Signal.MiddleRms(audio.Samples));
        Assert.InRange(rmsDb, -9.03 - 1, -9.03 + 1); // a sine of amplitude 0.5
        Assert.InRange(audio.Samples.Length, 96000 - frameSamples - 312, 96000 + frameSamples + 312); // 2 s
    }

    [Fact]
    public void Mixes_stereo_to_mono()
    {
        var audio = Decoder.DecodeFile(MediaFiles.Path("twotone-stereo.webm"));

        Assert.Equal(2, audio.SourceChannels);
        // 440 Hz at 0.4 on the left, 1000 Hz at 0.4 on the right: each at 0.2 in the mono mix.
        Assert.InRange(20 * Math.Log10(MediaFiles.ToneAmplitude(audio.Samples, 48000, 440) / 0.2), -1, 1);
        Assert.InRange(20 * Math.Log10(MediaFiles.ToneAmplitude(audio.Samples, 48000, 1000) / 0.2), -1, 1);
    }

    [Theory]
    [InlineData("speech-20ms.webm")]
    [InlineData("speech-60ms.webm")]
    [InlineData("speech-20ms.ogg")]
    public void Decoded_speech_matches_the_source_sentence(string file)
    {
        var source = MediaFiles.SpeechSource16k();

        var audio = Decoder.DecodeFile(MediaFiles.Path(file));
        var decoded = Resampler.ToRate(audio.Samples, audio.SampleRate);

        var (correlation, lag) = MediaFiles.BestCorrelation(source, decoded, 160); // 0.979 for all three when made
        Assert.True(correlation > 0.95, $"{file}: correlation {correlation:0.000} at lag {lag}");
        Assert.InRange(lag, -2, 2); // pre-skip honoured: no delay left
        Assert.InRange(decoded.Length, source.Length - 480, source.Length + 480);
    }

    [Fact]
    public void Decoded_Chromium_recording_matches_the_sentence_it_was_fed()
    {
        // Chromium's fake microphone played espeak-16k.wav (at 48 kHz) from a moment before recording started.
        var source = MediaFiles.SpeechSource16k();

        var audio = Decoder.DecodeFile(MediaFiles.Path("chromium-live.webm"));
        var decoded = Resampler.ToRate(audio.Samples, audio.SampleRate);

        Assert.Equal(2, audio.SourceChannels);
        Assert.Equal(3.0, audio.Duration.TotalSeconds, 3);
        var (correlation, lag) = MediaFiles.AlignedCorrelation16k(source, decoded, maxLagSeconds: 1.5); // 0.981 when made
        Assert.True(correlation > 0.95, $"correlation {correlation:0.000} at lag {lag}");
    }

    [Fact]
    public void Refuses_a_2_s_recording_over_a_1_s_limit_as_too_long()
    {
        var decoder = new MediaDecoder(new MediaDecoderOptions { UseFfmpeg = false, MaxDurationSeconds = 1 });

        var webm = Assert.Throws<AudioFormatException>(() => decoder.DecodeFile(MediaFiles.Path("tone440-20ms.webm")));
        var ogg = Assert.Throws<AudioFormatException>(() => decoder.DecodeFile(MediaFiles.Path("tone440-60ms.ogg")));

        Assert.Equal(AudioProblem.TooLong, webm.Problem);
        Assert.Equal(AudioProblem.TooLong, ogg.Problem);
        Assert.Contains("the audio is 2 s long; the limit is 1 s", webm.Message, StringComparison.Ordinal);
    }
}
