"""The lab's X-Ray extension: a daemon for the SDK's segments, Lambda's own segments, trace filters.

Patches in :mod:`courselab.lab.xray.patches`; the UDP daemon in :mod:`courselab.lab.xray.daemon`,
served by :mod:`courselab.lab.xray.provider`; Lambda's segments in :mod:`courselab.lab.xray.tracing`;
``GetTraceSummaries`` filter expressions in :mod:`courselab.lab.xray.queries`. Importing this
package imports no moto.
"""
