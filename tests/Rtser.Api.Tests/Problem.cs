using System.Net;
using System.Text.Json;

namespace Rtser.Api.Tests;

internal static class Problem
{
    /// <summary>Asserts an RFC 7807 body with the status, optionally with text in its detail; returns the detail.</summary>
    public static async Task<string> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument doc = JsonDocument.Parse(body);
        Assert.Equal((int)status, doc.RootElement.GetProperty("status").GetInt32());
        Assert.True(doc.RootElement.TryGetProperty("title", out _));
        string detail = doc.RootElement.TryGetProperty("detail", out JsonElement d) ? d.GetString() ?? "" : "";
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, detail, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        return detail;
    }
}
