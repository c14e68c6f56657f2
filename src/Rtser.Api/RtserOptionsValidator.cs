using Microsoft.Extensions.Options;

namespace Rtser.Api;

/// <summary>
/// Validates <see cref="RtserOptions"/> with every reason a setting is wrong, so start-up names them all
/// (Program.cs logs them as "Cannot start: ...") instead of failing with a bare "invalid options".
/// </summary>
public sealed class RtserOptionsValidator : IValidateOptions<RtserOptions>
{
    public ValidateOptionsResult Validate(string? name, RtserOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string[] reasons = [.. RtserOptions.Check(options)];
        return reasons.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(reasons);
    }
}
