using System.Net;
using System.Text.Json;
using DmVoice.Gateway.Tests.Api;

namespace DmVoice.Gateway.Tests.Faults;

/// <summary>What a client must see when part of the cluster cannot be reached: 503, the stable code, when to retry.</summary>
internal static class FaultAssert
{
    /// <summary>Orleans' response timeout in these tests: a call into a stalled cluster fails in seconds, not 30.</summary>
    public const string ResponseTimeout = "00:00:04";

    /// <summary>Settings for a silo and its gateways that give up on an unreachable peer quickly.</summary>
    public static Dictionary<string, string?> QuickTimeouts() => new()
    {
        ["Orleans:Messaging:ResponseTimeout"] = ResponseTimeout,
        ["Gateway:RequestsPerMinute"] = "1000000",
    };

    /// <summary>
    /// A 503 <c>temporarily_unavailable</c> problem with Retry-After as a header and as
    /// <c>retryAfterSeconds</c>, the two agreeing; returns the problem.
    /// </summary>
    public static async Task<JsonElement> UnavailableAsync(HttpResponseMessage response)
    {
        var problem = await Rest.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, ErrorCodes.TemporarilyUnavailable);
        var header = response.Headers.RetryAfter?.Delta;
        Assert.True(header is { } delta && delta >= TimeSpan.FromSeconds(1), $"Retry-After is missing or below 1 s: {response.Headers.RetryAfter}");
        Assert.Equal((int)header!.Value.TotalSeconds, problem.GetProperty("retryAfterSeconds").GetInt32());
        return problem;
    }
}
