using Xunit.Sdk;

namespace Rtser.Tests.Shared;

/// <summary>
/// A fact that reads the corpora (EmoDB, RAVDESS): trait Category=Corpus, skipped with the reason where they are
/// absent, and run (so it fails) where the CI variable is set, because CI must not pass by skipping.
/// </summary>
/// <remarks>
/// xunit finds a trait through a discoverer named by type and assembly, and these files compile into every test
/// assembly, so the attribute borrows xunit's own [Trait] discoverer, which reads the trait's name and value from
/// the constructor's arguments: the defaults below, never passed.
/// </remarks>
[TraitDiscoverer("Xunit.Sdk.TraitDiscoverer", "xunit.core")]
[AttributeUsage(AttributeTargets.Method)]
internal sealed class CorpusFactAttribute : FactAttribute, ITraitAttribute
{
    public CorpusFactAttribute(string traitName = "Category", string traitValue = CorpusTests.Category)
    {
        (TraitName, TraitValue) = (traitName, traitValue);
        Skip = CorpusTests.SkipReason;
    }

    public string TraitName { get; }

    public string TraitValue { get; }
}

/// <summary>A theory that reads the corpora; see <see cref="CorpusFactAttribute"/>.</summary>
[TraitDiscoverer("Xunit.Sdk.TraitDiscoverer", "xunit.core")]
[AttributeUsage(AttributeTargets.Method)]
internal sealed class CorpusTheoryAttribute : TheoryAttribute, ITraitAttribute
{
    public CorpusTheoryAttribute(string traitName = "Category", string traitValue = CorpusTests.Category)
    {
        (TraitName, TraitValue) = (traitName, traitValue);
        Skip = CorpusTests.SkipReason;
    }

    public string TraitName { get; }

    public string TraitValue { get; }
}

/// <summary>
/// A theory over the degraded copies of the corpora (<see cref="TestPaths.ConditionsPath"/>): trait Category=Corpus,
/// skipped with the reason where they or the corpora are absent. Unlike the corpora, CI does not have them.
/// </summary>
[TraitDiscoverer("Xunit.Sdk.TraitDiscoverer", "xunit.core")]
[AttributeUsage(AttributeTargets.Method)]
internal sealed class ConditionsTheoryAttribute : TheoryAttribute, ITraitAttribute
{
    public ConditionsTheoryAttribute(string traitName = "Category", string traitValue = CorpusTests.Category)
    {
        (TraitName, TraitValue) = (traitName, traitValue);
        Skip = !Directory.Exists(TestPaths.ConditionsPath) || !TestPaths.HasDatasets
            ? $"degraded corpora not found at {TestPaths.ConditionsPath} (set RTSER_CONDITIONS) or corpora not at {TestPaths.DatasetsPath}"
            : null;
    }

    public string TraitName { get; }

    public string TraitValue { get; }
}

internal static class CorpusTests
{
    public const string Category = "Corpus";

    /// <summary>Null where the corpora are found, or where CI is set: there a missing corpus is a failure.</summary>
    public static string? SkipReason { get; } =
        TestPaths.HasDatasets || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
            ? null
            : $"corpora not found at {TestPaths.DatasetsPath}; set RTSER_DATASETS (required where CI is set)";
}
