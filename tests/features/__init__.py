"""Public features beyond DCRF 1.3: the demultiplexer, throttling, system checks, the browsable page
and the AsyncAPI document."""
