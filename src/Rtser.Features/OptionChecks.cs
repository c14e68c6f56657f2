namespace Rtser.Features;

/// <summary>The options classes' one validation primitive: a failed check names the setting in its message.</summary>
internal static class OptionChecks
{
    public static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException(message);
        }
    }
}
