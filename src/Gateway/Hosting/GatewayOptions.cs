namespace DmVoice.Gateway.Hosting;

/// <summary>Gateway behaviour, bound from the "Gateway" section.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// Run a silo inside the gateway process (the embedded default). Only with localhost clustering;
    /// in Redis mode gateways are always plain cluster clients.
    /// </summary>
    public bool CoHostSilo { get; set; } = true;

    /// <summary>Largest accepted request body.</summary>
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024;

    /// <summary>Requests per user (or per address when anonymous) per minute.</summary>
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>
    /// The built web client to serve at <c>/</c>. Unset: <c>clients/web/dist</c> of the source tree
    /// the gateway runs from, when it has been built.
    /// </summary>
    public string? WebClientPath { get; set; }
}
