namespace Rtser.Tests.Shared;

/// <summary>Finds the repository and the workplace's shared datasets from a test's bin folder.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// RTSER_DATASETS, else ../shared/datasets beside the repository (the workplace layout CI also has).
    /// Tests that need real speech fail loudly rather than skip when it is missing.
    /// </summary>
    public static string Datasets
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("RTSER_DATASETS");
            string path = !string.IsNullOrEmpty(env) ? env : Path.Combine(RepoRoot, "..", "shared", "datasets");
            if (!Directory.Exists(path))
            {
                throw new DirectoryNotFoundException($"Datasets not found at {Path.GetFullPath(path)}; set RTSER_DATASETS.");
            }

            return Path.GetFullPath(path);
        }
    }

    public static string TestData(string project, string file) => Path.Combine(RepoRoot, "tests", project, "TestData", file);

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
