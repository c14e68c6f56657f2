namespace Rtser.Audio.Tests.Media;

/// <summary>Runs a decode with a time bound enforced by cancellation, so a hang fails the test instead of stalling it.</summary>
internal static class Bounded
{
    public static T Run<T>(Func<T> work, TimeSpan bound)
    {
        var task = Task.Run(work);
        try
        {
            return task.WaitAsync(bound).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"the call did not finish within {bound.TotalSeconds} s");
        }
    }

    /// <summary>The exception <paramref name="work"/> threw within <paramref name="bound"/>, or null if it returned.</summary>
    public static Exception? Outcome(Action work, TimeSpan bound)
    {
        try
        {
            Run(() =>
            {
                work();
                return 0;
            }, bound);
            return null;
        }
        catch (Xunit.Sdk.XunitException)
        {
            throw;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
