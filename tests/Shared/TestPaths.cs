namespace Rtser.Tests.Shared;

/// <summary>Finds the repository and the workplace's shared datasets from a test's bin folder.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>RTSER_DATASETS, else ../shared/datasets beside the repository (the workplace layout CI also has).</summary>
    public static string DatasetsPath { get; } = Path.GetFullPath(
        Environment.GetEnvironmentVariable("RTSER_DATASETS") is { Length: > 0 } env ? env : Path.Combine(RepoRoot, "..", "shared", "datasets"));

    /// <summary>Whether both corpora are at <see cref="DatasetsPath"/>; tests that read them are [CorpusFact]s.</summary>
    public static bool HasDatasets { get; } =
        Directory.Exists(Path.Combine(DatasetsPath, "emodb", "wav")) && Directory.Exists(Path.Combine(DatasetsPath, "ravdess"));

    /// <summary>The corpora's folder; throws where they are absent, so a corpus test run under CI fails loudly.</summary>
    public static string Datasets => HasDatasets
        ? DatasetsPath
        : throw new DirectoryNotFoundException($"Corpora (emodb/wav, ravdess) not found at {DatasetsPath}; set RTSER_DATASETS.");

    /// <summary>
    /// RTSER_CONDITIONS, else /work/cond: degraded copies of the corpora made by tools/degrade.py, one folder per
    /// corpus and condition (emodb_phone, ravdess_noise0_5, ...) with the corpus's file names. Only the workplace has
    /// them; tests that read them are [ConditionsTheory]s and skip elsewhere, CI included.
    /// </summary>
    public static string ConditionsPath { get; } = Path.GetFullPath(
        Environment.GetEnvironmentVariable("RTSER_CONDITIONS") is { Length: > 0 } env ? env : "/work/cond");

    public static string TestData(string project, string file) => Path.Combine(RepoRoot, "tests", project, "TestData", file);

    /// <summary>4.2 s of committed espeak-ng speech (16 kHz mono) for tests that need some speech, not a corpus's.</summary>
    public static string EspeakWav => TestData("Rtser.Features.Tests", "espeak-16k.wav");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RTSER.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("RTSER.sln not found above " + AppContext.BaseDirectory);
    }
}
