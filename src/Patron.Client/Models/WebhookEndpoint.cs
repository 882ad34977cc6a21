namespace Patron.Client;

/// <summary>A URL Patron POSTs events to (docs/WEBHOOKS.md).</summary>
public sealed class WebhookEndpoint : IHasId
{
    public string Object { get; set; } = "webhook_endpoint";
    public string Id { get; set; } = "";
    public string Url { get; set; } = "";
    public string? Description { get; set; }
    public List<string> Events { get; set; } = [];
    public bool Enabled { get; set; }

    /// <summary><c>manual</c> or <c>failing</c> when disabled.</summary>
    public string? DisabledReason { get; set; }

    public DateTimeOffset? FailingSince { get; set; }

    /// <summary>The HTTP status of the latest attempt that got an answer.</summary>
    public int? LastStatus { get; set; }

    /// <summary><c>patron</c> or <c>loyalino</c>.</summary>
    public string SignatureScheme { get; set; } = "";

    /// <summary>The signing secret (<c>whsec_...</c>): only in the answer to <c>CreateAsync</c>. Keep it.</summary>
    public string? Secret { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary><c>POST /webhook_endpoints</c> (admin).</summary>
public sealed class WebhookEndpointCreateOptions
{
    /// <summary>An <c>https</c> URL Patron may reach.</summary>
    public string? Url { get; set; }

    /// <summary>Event types from <see cref="EventTypes"/>; null or <c>["*"]</c> for every type.</summary>
    public List<string>? Events { get; set; }

    public bool? Enabled { get; set; }
    public string? Description { get; set; }

    /// <summary><c>patron</c> (the default) or <c>loyalino</c>.</summary>
    public string? SignatureScheme { get; set; }
}

/// <summary><c>PATCH /webhook_endpoints/{id}</c> (admin): a null property is left as it is; <c>""</c> clears the description.</summary>
public sealed class WebhookEndpointUpdateOptions
{
    public string? Url { get; set; }
    public List<string>? Events { get; set; }
    public bool? Enabled { get; set; }
    public string? Description { get; set; }
    public string? SignatureScheme { get; set; }
}

/// <summary>One event's delivery to one endpoint, with the outcome of its latest attempt.</summary>
public sealed class WebhookDelivery : IHasId
{
    public string Object { get; set; } = "webhook_delivery";
    public string Id { get; set; } = "";
    public string EndpointId { get; set; } = "";
    public string EventId { get; set; } = "";
    public string EventType { get; set; } = "";

    /// <summary><c>pending</c>, <c>succeeded</c> or <c>failed</c>.</summary>
    public string Status { get; set; } = "";

    public int Attempts { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public int? LastResponseTimeMs { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary><c>GET /webhook_endpoints/{id}/deliveries</c> filters.</summary>
public sealed class WebhookDeliveryListOptions : ListOptions
{
    public string? Status { get; set; }
    public string? EventType { get; set; }
    public string? EventId { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> Filters() =>
        [new("status", Status), new("event_type", EventType), new("event_id", EventId)];
}
