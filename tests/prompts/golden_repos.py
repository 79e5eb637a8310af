"""Golden prompts for the formats defined by their authors' repository, not by a chat template.

Each expected string follows the source cited above its group; where the authors only wrote a
one-turn prompt, further turns are joined the way lm-sys/FastChat's conversation.py joins them
(checked against FastChat 0.2.36's Conversation.get_prompt()).
"""

from prompt_cases import CLOSED, MULTI, SINGLE, WITH_SYSTEM

ALPACA_PREAMBLE = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request."
)

GOLDEN = [
    # Vicuna v1.1, from lm-sys/FastChat fastchat/conversation.py ("vicuna_v1.1"); with no
    # system message FastChat writes its default one
    ("vicuna", "single", SINGLE,
     ("A chat between a curious user and an artificial intelligence assistant. The assistant "
      "gives helpful, detailed, and polite answers to the user's questions. "
      "USER: What is the capital of France? ASSISTANT:")),
    ("vicuna", "system", WITH_SYSTEM,
     "You are a concise assistant. USER: What is the capital of France? ASSISTANT:"),
    ("vicuna", "multi", MULTI,
     ("You are a concise assistant. USER: Hi! ASSISTANT: Hello! How can I help?</s>"
      "USER: Name a prime number. ASSISTANT:")),
    # Koala, from lm-sys/FastChat conversation.py ("koala_v1"); a system message takes the place
    # of "BEGINNING OF CONVERSATION:", as FastChat's set_system_message does
    ("koala", "single", SINGLE,
     "BEGINNING OF CONVERSATION: USER: What is the capital of France? GPT:"),
    ("koala", "system", WITH_SYSTEM,
     "You are a concise assistant. USER: What is the capital of France? GPT:"),
    ("koala", "multi", MULTI,
     ("You are a concise assistant. USER: Hi! GPT: Hello! How can I help?</s>"
      "USER: Name a prime number. GPT:")),
    # Alpaca: one turn is tatsu-lab/stanford_alpaca train.py's PROMPT_DICT["prompt_no_input"]
    # followed by output + eos_token; later turns start right after "</s>", as in FastChat's
    # "alpaca" template. A system message takes the place of the preamble.
    ("alpaca", "single", SINGLE,
     ALPACA_PREAMBLE + "\n\n### Instruction:\nWhat is the capital of France?\n\n### Response:"),
    ("alpaca", "system", WITH_SYSTEM,
     "You are a concise assistant.\n\n### Instruction:\nWhat is the capital of France?\n\n### Response:"),
    ("alpaca", "multi", MULTI,
     ("You are a concise assistant.\n\n"
      "### Instruction:\nHi!\n\n"
      "### Response:Hello! How can I help?</s>"
      "### Instruction:\nName a prime number.\n\n"
      "### Response:")),
    # Dolly v2, from databrickslabs/dolly training/consts.py (PROMPT_FOR_GENERATION_FORMAT; an
    # answer ends "\n\n### End" as in PROMPT_NO_INPUT_FORMAT); turns joined by a blank line as in
    # FastChat's "dolly_v2" template
    ("dolly", "single", SINGLE,
     ALPACA_PREAMBLE + "\n\n### Instruction:\nWhat is the capital of France?\n\n### Response:\n"),
    ("dolly", "system", WITH_SYSTEM,
     "You are a concise assistant.\n\n### Instruction:\nWhat is the capital of France?\n\n### Response:\n"),
    ("dolly", "multi", MULTI,
     ("You are a concise assistant.\n\n"
      "### Instruction:\nHi!\n\n"
      "### Response:\nHello! How can I help?\n\n### End\n\n"
      "### Instruction:\nName a prime number.\n\n"
      "### Response:\n")),
    # OpenAssistant Pythia, from the model card of OpenAssistant/oasst-sft-4-pythia-12b-epoch-3.5
    # (FastChat "oasst_pythia" is the same); the system turn is Open-Assistant's
    # format_system_prefix (model/model_training/custom_datasets/formatting.py)
    ("oasst", "single", SINGLE,
     "<|prompter|>What is the capital of France?<|endoftext|><|assistant|>"),
    ("oasst", "system", WITH_SYSTEM,
     ("<|system|>You are a concise assistant.<|endoftext|>"
      "<|prompter|>What is the capital of France?<|endoftext|><|assistant|>")),
    ("oasst", "multi", MULTI,
     ("<|system|>You are a concise assistant.<|endoftext|>"
      "<|prompter|>Hi!<|endoftext|>"
      "<|assistant|>Hello! How can I help?<|endoftext|>"
      "<|prompter|>Name a prime number.<|endoftext|>"
      "<|assistant|>")),
    # StableLM-Tuned-Alpha, from the README of Stability-AI/StableLM (system_prompt and prompt);
    # FastChat "stablelm" is the same
    ("stablelm", "single", SINGLE,
     ("<|SYSTEM|># StableLM Tuned (Alpha version)\n"
      "- StableLM is a helpful and harmless open-source AI language model developed by StabilityAI.\n"
      "- StableLM is excited to be able to help the user, but will refuse to do anything that could "
      "be considered harmful to the user.\n"
      "- StableLM is more than just an information source, StableLM is also able to write poetry, "
      "short stories, and make jokes.\n"
      "- StableLM will refuse to participate in anything that could harm a human.\n"
      "<|USER|>What is the capital of France?<|ASSISTANT|>")),
    ("stablelm", "system", WITH_SYSTEM,
     "<|SYSTEM|>You are a concise assistant.<|USER|>What is the capital of France?<|ASSISTANT|>"),
    ("stablelm", "multi", MULTI,
     ("<|SYSTEM|>You are a concise assistant."
      "<|USER|>Hi!<|ASSISTANT|>Hello! How can I help?"
      "<|USER|>Name a prime number.<|ASSISTANT|>")),
    # Baize, from project-baize/baize-chatbot demo/app.py (generate_prompt_with_history): the
    # preamble, a fixed "Hello!"/"Hi!" exchange, then each turn on a new line; FastChat "baize"
    # renders the same
    ("baize", "single", SINGLE,
     ("The following is a conversation between a human and an AI assistant named Baize (named after "
      "a mythical creature in Chinese folklore). Baize is an open-source AI assistant developed by UCSD "
      "and Sun Yat-Sen University. The human and the AI assistant take turns chatting. Human statements "
      "start with [|Human|] and AI assistant statements start with [|AI|]. The AI assistant always "
      "provides responses in as much detail as possible, and in Markdown format. The AI assistant "
      "always declines to engage with topics, questions and instructions related to unethical, "
      "controversial, or sensitive issues. Complete the transcript in exactly that format.\n"
      "[|Human|]Hello!\n[|AI|]Hi!\n"
      "[|Human|]What is the capital of France?\n[|AI|]")),
    ("baize", "system", WITH_SYSTEM,
     ("You are a concise assistant.\n[|Human|]Hello!\n[|AI|]Hi!\n"
      "[|Human|]What is the capital of France?\n[|AI|]")),
    ("baize", "multi", MULTI,
     ("You are a concise assistant.\n[|Human|]Hello!\n[|AI|]Hi!\n"
      "[|Human|]Hi!\n[|AI|]Hello! How can I help?\n"
      "[|Human|]Name a prime number.\n[|AI|]")),
    # Raw, our own layout for base models (prompts/raw.py): contents joined by a blank line
    ("raw", "single", SINGLE,
     "What is the capital of France?"),
    ("raw", "system", WITH_SYSTEM,
     "You are a concise assistant.\n\nWhat is the capital of France?"),
    ("raw", "multi", MULTI,
     "You are a concise assistant.\n\nHi!\n\nHello! How can I help?\n\nName a prime number."),
]

# Finished conversations (no generation prompt), from the same sources.
GOLDEN_CLOSED = [
    ("vicuna", CLOSED,
     ("You are a concise assistant. USER: Hi! ASSISTANT: Hello! How can I help?</s>"
      "USER: Name a prime number. ASSISTANT: 7</s>")),
    ("koala", CLOSED,
     ("You are a concise assistant. USER: Hi! GPT: Hello! How can I help?</s>"
      "USER: Name a prime number. GPT: 7</s>")),
    ("alpaca", CLOSED,
     ("You are a concise assistant.\n\n"
      "### Instruction:\nHi!\n\n### Response:Hello! How can I help?</s>"
      "### Instruction:\nName a prime number.\n\n### Response:7</s>")),
    ("dolly", CLOSED,
     ("You are a concise assistant.\n\n"
      "### Instruction:\nHi!\n\n### Response:\nHello! How can I help?\n\n### End\n\n"
      "### Instruction:\nName a prime number.\n\n### Response:\n7\n\n### End")),
    ("oasst", CLOSED,
     ("<|system|>You are a concise assistant.<|endoftext|>"
      "<|prompter|>Hi!<|endoftext|><|assistant|>Hello! How can I help?<|endoftext|>"
      "<|prompter|>Name a prime number.<|endoftext|><|assistant|>7<|endoftext|>")),
    ("stablelm", CLOSED,
     ("<|SYSTEM|>You are a concise assistant."
      "<|USER|>Hi!<|ASSISTANT|>Hello! How can I help?"
      "<|USER|>Name a prime number.<|ASSISTANT|>7")),
    ("baize", CLOSED,
     ("You are a concise assistant.\n[|Human|]Hello!\n[|AI|]Hi!\n"
      "[|Human|]Hi!\n[|AI|]Hello! How can I help?\n"
      "[|Human|]Name a prime number.\n[|AI|]7")),
]
