using System.Collections.Concurrent;

namespace DmVoice.Gateway.Auth;

/// <summary>
/// Tells each user's settings grain the display name of the token they use, so that joins this gateway
/// did not see (LiveKit's webhooks, the sweep) show the user's own name, never one a client chose. Sends
/// one-way, and only when the name differs from what this gateway last sent for the user.
/// </summary>
public sealed class DisplayNameRecorder(IGrainFactory grains)
{
    /// <summary>Enough for every user active on one gateway; beyond it the memory starts over (costs one message per user).</summary>
    private const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, string> _sent = new(StringComparer.Ordinal);

    public void Observe(System.Security.Claims.ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true || user.FindFirst("sub")?.Value is not { } userId)
        {
            return;
        }

        var name = user.DisplayName();
        if (_sent.TryGetValue(userId, out var sent) && sent == name)
        {
            return;
        }

        if (_sent.Count >= Capacity)
        {
            _sent.Clear();
        }

        _sent[userId] = name;
        grains.GetGrain<IUserSettingsGrain>(userId).RememberDisplayName(name).Ignore();
    }
}

internal static class DisplayNameRecorderExtensions
{
    public static IApplicationBuilder UseDisplayNameRecorder(this IApplicationBuilder app)
    {
        var recorder = app.ApplicationServices.GetRequiredService<DisplayNameRecorder>();
        return app.Use((http, next) =>
        {
            recorder.Observe(http.User);
            return next(http);
        });
    }
}
