using DmVoice.LiveKit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.LiveKit;

/// <summary>
/// Registers the LiveKit integration. LiveKit is optional: it is on when <c>LiveKit:Url</c> is set (then
/// ApiKey and ApiSecret are required and checked at startup); without it calls work and media is someone
/// else's concern. A gateway that co-hosts a silo shares one service collection with it, so the connection
/// services are added once, by whichever side comes first.
/// </summary>
public static class LiveKitRegistration
{
    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{LiveKitOptions.SectionName}:{nameof(LiveKitOptions.Url)}"]);

    /// <summary>
    /// Connection settings, RoomService client, token issuer and webhook receiver (what a gateway needs), plus
    /// the sync settings. Idempotent.
    /// </summary>
    public static IServiceCollection AddDmVoiceLiveKitClient(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(LiveKitConfigured)))
        {
            return services;
        }

        services.AddSingleton<LiveKitConfigured>();
        services.AddLiveKit(configuration);
        services.AddOptions<LiveKitSyncOptions>()
            .Bind(configuration.GetSection(LiveKitOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LiveKitSyncOptions>, LiveKitSyncOptionsValidator>());
        return services;
    }

    /// <summary>
    /// The silo side. RoomService commands are owed by the grains that ask for them (kept in their
    /// state and sent by them, see <see cref="MediaCommands"/>), so the silo adds only the client side.
    /// </summary>
    public static IServiceCollection AddDmVoiceLiveKitSilo(this IServiceCollection services, IConfiguration configuration) =>
        services.AddDmVoiceLiveKitClient(configuration);
}

/// <summary>Registered only when LiveKit is configured; grains and endpoints look for it.</summary>
public sealed class LiveKitConfigured;
