using System.Diagnostics;
using System.Text.Json;
using Rtser.Audio;
using Rtser.Tests.Shared;

namespace Rtser.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("rtser-cli-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [CorpusFact]
    public void Features_of_a_ravdess_file_match_torchaudio_kaldi_mfcc_within_a_hundredth()
    {
        string wav = Path.Combine(TestPaths.Datasets, "ravdess", "Actor_03", "03-01-05-02-01-01-03.wav");
        var (code, output, error) = Run("features", wav);
        Assert.True(code == 0, error);

        using var doc = JsonDocument.Parse(output);
        JsonElement root = doc.RootElement;
        Assert.Equal(16000, root.GetProperty("sampleRate").GetInt32());
        Assert.Equal(70470 / 16000.0, root.GetProperty("durationSeconds").GetDouble(), 6);
        JsonElement mfcc = root.GetProperty("mfcc");
        Assert.Equal(0.01, mfcc.GetProperty("frameShiftSeconds").GetDouble());

        using var reference = JsonDocument.Parse(File.ReadAllText(TestPaths.TestData("Rtser.Features.Tests", "mfcc-ravdess-03-angry.json")));
        var expected = reference.RootElement.GetProperty("useEnergyTrue").EnumerateArray().ToList();
        var actual = mfcc.GetProperty("values").EnumerateArray().ToList();
        Assert.Equal(expected.Count, actual.Count);
        double worst = expected.Zip(actual)
            .SelectMany(p => p.First.EnumerateArray().Zip(p.Second.EnumerateArray(), (e, a) => Math.Abs(e.GetDouble() - a.GetDouble())))
            .Max();
        Assert.True(worst <= 0.01, $"max |diff| {worst}");
        Assert.InRange(root.GetProperty("speechSeconds").GetDouble(), 1.0, 4.0);

        JsonElement ms = root.GetProperty("modulationSpectrum");
        int acoustic = ms.GetProperty("acousticCentersHz").GetArrayLength();
        int modulation = ms.GetProperty("modulationCentersHz").GetArrayLength();
        Assert.InRange(acoustic, 19, 23);
        Assert.InRange(modulation, 5, 8);
        Assert.Equal(0.064, ms.GetProperty("frameShiftSeconds").GetDouble());
        JsonElement first = ms.GetProperty("values")[0];
        Assert.Equal(acoustic, first.GetArrayLength());
        Assert.Equal(modulation, first[0].GetArrayLength());
        // 4.40 s of audio: a frame every 64 ms once the first 256 ms window (plus the 16 ms STFT window) is full.
        Assert.InRange(ms.GetProperty("values").GetArrayLength(), 64, 66);
    }

    [CorpusFact]
    public void Features_of_a_22050_hz_emodb_file_are_computed_after_resampling_to_16_khz()
    {
        var (code, output, error) = Run("features", Path.Combine(TestPaths.Datasets, "emodb", "wav", "03a01Fa.wav"));
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(2.0, doc.RootElement.GetProperty("durationSeconds").GetDouble(), 3);
        Assert.Equal(198, doc.RootElement.GetProperty("mfcc").GetProperty("values").GetArrayLength());
        JsonElement prosody = doc.RootElement.GetProperty("prosody");
        Assert.Equal(198, prosody.GetProperty("values").GetArrayLength());
        // An EmoDB sentence is mostly voiced speech at a speaking F0 (70-500 Hz = 73.5-107.6 semitones re 1 Hz).
        Assert.InRange(prosody.GetProperty("statistics").GetProperty("pr_voiced_fraction").GetDouble(), 0.3, 1.0);
        Assert.InRange(prosody.GetProperty("statistics").GetProperty("pr_f0_p50").GetDouble(), 73.5, 107.6);
    }

    [Fact]
    public void Features_reads_browser_recordings_as_predict_does_and_webm_and_ogg_of_one_recording_agree()
    {
        string webm = TestPaths.TestData("Rtser.Audio.Tests", "speech-20ms.webm");
        string ogg = TestPaths.TestData("Rtser.Audio.Tests", "speech-20ms.ogg");
        float[] decoded = new MediaDecoder().Decode16kFile(webm);

        var (webmCode, webmOutput, webmError) = Run("features", webm);
        var (oggCode, oggOutput, oggError) = Run("features", ogg);

        Assert.True(webmCode == 0, webmError);
        Assert.True(oggCode == 0, oggError);
        using var fromWebm = JsonDocument.Parse(webmOutput);
        using var fromOgg = JsonDocument.Parse(oggOutput);
        Assert.Equal(decoded.Length / 16000.0, fromWebm.RootElement.GetProperty("durationSeconds").GetDouble(), 3);
        Assert.Equal(fromWebm.RootElement.GetProperty("durationSeconds").GetDouble(), fromOgg.RootElement.GetProperty("durationSeconds").GetDouble(), 1);
        Assert.True(fromWebm.RootElement.GetProperty("speechSeconds").GetDouble() > 0);
    }

    [CorpusFact]
    public void Export_writes_arrays_that_numpy_reads_with_matching_index()
    {
        string outDir = Path.Combine(_temp, "emodb");
        var (code, output, error) = Run("export", Path.Combine(TestPaths.Datasets, "emodb"), "--corpus", "emodb", "--out", outDir, "--limit", "12");
        Assert.True(code == 0, error + output);

        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "index.json")));
        var files = index.RootElement.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(12, files.Count);
        Assert.All(files, f => Assert.Matches("^(neutral|happy|sad|angry|fearful|disgust|bored)$", f.GetProperty("label").GetString()));
        int rows = files.Sum(f => f.GetProperty("mfccFrames").GetInt32());
        Assert.True(files.Select(f => f.GetProperty("speaker").GetString()).Distinct().Count() > 1);

        // numpy is the independent reader of the format.
        int msRows = files.Sum(f => f.GetProperty("msFrames").GetInt32());
        int msWidth = index.RootElement.GetProperty("modulation").GetProperty("width").GetInt32();
        string script = $"import numpy as np; m = np.load('{outDir}/mfcc.npy'); v = np.load('{outDir}/vad.npy'); " +
                        $"s = np.load('{outDir}/ms.npy'); st = np.load('{outDir}/ms_stats.npy'); " +
                        $"p = np.load('{outDir}/prosody.npy'); ps = np.load('{outDir}/prosody_stats.npy'); " +
                        "print(m.dtype, m.shape[0], m.shape[1], v.dtype, v.shape[0], float(m[0, 1]), s.shape[0], s.shape[1], st.shape[0], " +
                        "int(np.isfinite(s).all() and np.isfinite(st).all()), p.shape[0], p.shape[1], ps.shape[0], ps.shape[1], " +
                        "int(np.isfinite(p).all() and np.isfinite(ps).all()))";
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string py = p.StandardOutput.ReadToEnd();
        string pyErr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, pyErr);
        string[] parts = py.Trim().Split(' ');
        Assert.Equal(["float32", rows.ToString(), "13", "uint8", rows.ToString()], parts[..5]);
        Assert.True(float.IsFinite(float.Parse(parts[5], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal([msRows.ToString(), msWidth.ToString(), "12", "1"], parts[6..10]);
        int prosodyStats = index.RootElement.GetProperty("prosody").GetProperty("statisticNames").GetArrayLength();
        Assert.Equal([rows.ToString(), "5", "12", prosodyStats.ToString(), "1"], parts[10..]);
    }

    [CorpusFact]
    public void Export_with_a_feature_configuration_writes_its_mfcc_width_and_records_it_in_the_index()
    {
        string config = Path.Combine(_temp, "m40.json");
        File.WriteAllText(config, """{"mfcc": {"melBins": 40, "coefficients": 40, "cepstralLifter": 0}}""");
        string outDir = Path.Combine(_temp, "emodb_m40");
        var (code, output, error) = Run("export", Path.Combine(TestPaths.Datasets, "emodb"), "--corpus", "emodb", "--out", outDir, "--limit", "3", "--feature-config", config);
        Assert.True(code == 0, error + output);

        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "index.json")));
        JsonElement mfcc = index.RootElement.GetProperty("featureConfig").GetProperty("mfcc");
        Assert.Equal(40, mfcc.GetProperty("melBins").GetInt32());
        Assert.Equal(0, mfcc.GetProperty("cepstralLifter").GetDouble());
        Assert.Equal(0.97, mfcc.GetProperty("preEmphasis").GetDouble(), 6); // left out, so the default
        Assert.Equal(40, index.RootElement.GetProperty("mfcc").GetProperty("width").GetInt32());
        int rows = index.RootElement.GetProperty("files").EnumerateArray().Sum(f => f.GetProperty("mfccFrames").GetInt32());
        // the .npy header says rows x 40: 4-byte floats after the header
        long bytes = new FileInfo(Path.Combine(outDir, "mfcc.npy")).Length;
        Assert.InRange(bytes - ((long)rows * 40 * 4), 64, 256);
    }

    [Theory]
    [InlineData("""{"mfcc": {"melBins": 40, "coefficients": 41}}""", "Coefficients 41")]
    [InlineData("""{"mfcc": {"melBins": "forty"}}""", "not a feature configuration")]
    public void Export_refuses_a_feature_configuration_that_is_invalid_with_one_clear_line(string json, string expected)
    {
        string config = Path.Combine(_temp, "bad.json");
        File.WriteAllText(config, json);
        File.Copy(TestPaths.EspeakWav, Path.Combine(_temp, "03a01Wa.wav")); // named the EmoDB way; refused before it is read
        var (code, _, error) = Run("export", _temp, "--corpus", "emodb", "--out", Path.Combine(_temp, "x"), "--limit", "2", "--feature-config", config);
        Assert.Equal(1, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_gives_one_error_line_and_exit_code_1()
    {
        var (code, _, error) = Run("features", Path.Combine(_temp, "nope.wav"));
        Assert.Equal(1, code);
        Assert.StartsWith("error:", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_audio_gives_a_clear_error()
    {
        string path = Path.Combine(_temp, "text.wav");
        File.WriteAllText(path, "hello, this is not a wave file");
        var (code, _, error) = Run("features", path);
        Assert.Equal(1, code);
        Assert.StartsWith("error:", error, StringComparison.Ordinal);
        // features decodes as predict does: no format by its first bytes, so ffmpeg's verdict, or none without it.
        Assert.Contains(new MediaDecoder().FfmpegExecutable is null ? "not supported without ffmpeg" : "not an audio format ffmpeg can read", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_command_prints_usage_and_exit_code_2()
    {
        var (code, _, error) = Run("transmogrify");
        Assert.Equal(2, code);
        Assert.Contains("usage:", error, StringComparison.Ordinal);
    }
}
